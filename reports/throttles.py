"""The per-user photo upload throttle, shared by the API and the web form:
every photo a user sends counts (`PHOTO_UPLOAD_THROTTLE`, e.g. 300/hour), so
one account cannot keep the photo decoders busy for everyone else. The other
bounds on a request's photos are in reports/photos.py."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class PhotoUploadThrottle(SimpleRateThrottle):
    scope = "photos"

    def get_rate(self):
        # Read at use, not at import (SimpleRateThrottle's class attribute), so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def take(self, request, count: int) -> bool:
        """Count `count` photos for the request's user; False, counting nothing,
        when they would pass the rate."""
        if count == 0:
            return True
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) + count > self.num_requests:
            return False
        self.history[:0] = [self.now] * count
        self.cache.set(self.key, self.history, self.duration)
        return True

    def retry_after(self) -> int:
        return int(self.wait() or 1)
