"""/metrics in-process: off without METRICS_TOKEN, 401 without the right
bearer token, and with it the exposition format with the pipeline's figures
(the real scrape through gunicorn is tests/integration/test_metrics.py)."""

from prometheus_client.parser import text_string_to_metric_families

from tests.filing import file_report


def test_metrics_are_off_without_a_token(client, settings, db):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client, settings, db):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token s3cret-token").status_code == 401


def test_a_scrape_holds_the_pipeline_figures(client, settings, world):
    settings.METRICS_TOKEN = "s3cret-token"
    file_report(world)
    file_report(world, process=False)
    answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.content.decode())}
    states = {(s.labels["kind"], s.labels["state"]): s.value for s in families["elmon_submissions"].samples}
    assert states == {("incident", "accepted"): 1, ("incident", "received"): 1}
    assert families["elmon_pipeline_waiting"].samples[0].value == 1
    assert families["elmon_pipeline_lag_seconds"].samples[0].value >= 0
    assert str(families["elmon_queue_depth"].samples[0].value) == "nan"  # no broker in the embedded mode
    assert "Placeholder" in families["elmon_sms_deliveries"].documentation
