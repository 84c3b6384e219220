"""API errors are JSON and documented: unmatched API paths, and every
operation's schema lists the errors it can answer."""


def test_an_api_path_that_matches_no_route_answers_json_404(world, as_user, client):
    response = as_user(world.observer).get("/api/v1/reports/not-a-uuid/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert client.get("/no-such-page/").status_code == 404  # pages keep Django's HTML answer


def test_every_operation_documents_the_errors_it_can_answer(client):
    schema = client.get("/api/schema/?format=json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"400", "401", "403", "404", "413", "429", "503"} <= set(operation["responses"]), (method, path)
    election = schema["components"]["schemas"]["Election"]["properties"]
    assert "format" not in election["polls_open"]  # a local wall-clock time, not RFC 3339 `time`
