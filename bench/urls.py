"""The site's URLs plus the intake benchmark's baseline: the least a Django view
can do to accept a report (parse the JSON body, insert one row, answer 201),
served by the same gunicorn, middleware and database as the real API."""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as site_urlpatterns

BASELINE_TABLE = "bench_baseline_report"


@csrf_exempt
def baseline_insert(request):
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (body) VALUES (%s) RETURNING id", [json.dumps(body)])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/baseline/", baseline_insert), *site_urlpatterns]
