"""Token, me, elections, categories and stations endpoints."""

import pytest

from reports.taxonomy import taxonomy
from tests.conftest import PASSWORD

REQUIRED_CATEGORY_CODES = {
    "ballot_stuffing", "carousel_voting", "voting_without_id", "group_voting", "secrecy_violated", "intimidation",
    "vote_buying", "campaigning_at_station", "voter_list_problem", "mobile_ballot_box_abuse", "observer_obstructed",
    "unauthorized_persons", "ballot_box_not_sealed", "count_not_transparent", "protocol_not_posted",
    "protocol_inconsistent", "violence", "video_camera_off", "other",
}  # fmt: skip


def test_token_for_valid_credentials_works_for_the_api(world, api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "observer", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/me/").json()["username"] == "observer"


def test_wrong_password_gets_no_token(world, api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "observer", "password": "nope"}, format="json")
    assert response.status_code in (400, 401)
    assert "token" not in response.json()


def test_token_request_with_missing_fields_names_them(world, api_client):
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"username", "password"}


def test_repeated_failures_lock_the_account_even_with_the_right_password(world, api_client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post("/api/v1/auth/token/", {"username": "observer", "password": "wrong"}, format="json")
    response = api_client.post("/api/v1/auth/token/", {"username": "observer", "password": PASSWORD}, format="json")
    assert response.status_code in (403, 429)
    assert "token" not in response.json()


def test_deleting_the_token_revokes_it(world, api_client):
    token = api_client.post("/api/v1/auth/token/", {"username": "observer", "password": PASSWORD}, format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.delete("/api/v1/auth/token/").status_code == 204
    assert api_client.get("/api/v1/me/").status_code == 401


def test_me_describes_role_organization_accreditation_and_deployments(world, as_user):
    body = as_user(world.observer).get("/api/v1/me/").json()
    assert body["role"] == "observer"
    assert body["public_code"] == world.observer.public_code
    assert body["organization"]["name"] == "Civic Observers"
    assert [(a["election"], a["status"]) for a in body["accreditations"]] == [("kz-test-2021", "active")]
    assert [d["station"]["code"] for d in body["deployments"]] == [world.station.code]

    revoked = as_user(world.revoked_observer).get("/api/v1/me/").json()
    assert [a["status"] for a in revoked["accreditations"]] == ["revoked"]


def test_me_for_a_user_without_observer_profile(world, as_user):
    body = as_user(world.superuser).get("/api/v1/me/").json()
    assert body["role"] is None and body["organization"] is None and body["is_superuser"] is True


def test_anonymous_gets_401_everywhere(world, api_client):
    for url in [
        "/api/v1/me/",
        "/api/v1/elections/",
        "/api/v1/categories/",
        f"/api/v1/stations/?election={world.election.code}",
        "/api/v1/reports/",
    ]:
        assert api_client.get(url).status_code == 401, url


def test_elections_are_listed(world, as_user):
    body = as_user(world.observer).get("/api/v1/elections/").json()
    assert [e["code"] for e in body] == ["kz-test-2021"]
    assert body[0]["polls_open"] == "07:00:00" and body[0]["voting_day"] == "2021-01-10"


def test_categories_ship_the_whole_taxonomy_with_three_languages(world, as_user):
    body = as_user(world.observer).get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="ru").json()
    codes = {c["code"] for c in body}
    assert REQUIRED_CATEGORY_CODES <= codes
    assert len(body) == len(taxonomy())
    stuffing = next(c for c in body if c["code"] == "ballot_stuffing")
    assert stuffing["critical"] is True and stuffing["default_severity"] == "critical"
    assert all(c["name_kk"] and c["name_ru"] and c["name_en"] for c in body)
    assert stuffing["name"] == "Вброс бюллетеней"  # the active language (Accept-Language: ru)


def test_stations_search_by_code_prefix_and_name(world, as_user):
    client = as_user(world.observer)
    by_code = client.get(f"/api/v1/stations/?election={world.election.code}&q=05").json()
    assert [s["code"] for s in by_code["results"]] == ["05001"]
    by_name = client.get(f"/api/v1/stations/?election={world.election.code}&q=aktobe").json()
    assert [s["code"] for s in by_name["results"]] == ["13001"]
    everything = client.get(f"/api/v1/stations/?election={world.election.code}").json()
    assert everything["count"] == 3
    assert everything["results"][0]["region"]["timezone"] == "Asia/Almaty"


def test_stations_near_a_point_come_nearest_first_with_distances(world, as_user):
    # A point in Karaganda: Nur-Sultan (~190 km) is nearer than Almaty (~850 km) or Aktobe.
    body = as_user(world.observer).get(f"/api/v1/stations/?election={world.election.code}&near=49.80,73.10").json()
    codes = [s["code"] for s in body["results"]]
    distances = [s["distance_m"] for s in body["results"]]
    assert codes[0] == "05001"
    assert distances == sorted(distances)
    assert 150_000 < distances[0] < 230_000


@pytest.mark.parametrize(
    "query, field",
    [
        ("", "election"),
        ("election=nope", "election"),
        ("election=kz-test-2021&near=abc", "near"),
        ("election=kz-test-2021&near=95,10", "near"),
    ],
)
def test_station_queries_are_validated(world, as_user, query, field):
    response = as_user(world.observer).get(f"/api/v1/stations/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_openapi_schema_and_docs_are_served(world, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ["/api/v1/reports/", "/api/v1/stations/", "/api/v1/auth/token/", "/api/v1/me/"]:
        assert path in text
    assert client.get("/api/docs/").status_code == 200
