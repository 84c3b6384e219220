"""Cache invalidation only (no business logic): a saved or deleted incident
category is forgotten by this process's intake cache at once
(`reports.selectors.active_category_by_code`; other processes within seconds)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import IncidentCategory
from .selectors import categories_forget


@receiver([post_save, post_delete], sender=IncidentCategory, dispatch_uid="category_changed")
def forget_categories(sender, instance, **kwargs):
    categories_forget()
