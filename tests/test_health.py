import re


def test_healthz_reports_the_database(client, database):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_pages_load_nothing_from_other_hosts(client, database):
    html = client.get("/login").get_data(as_text=True)
    refs = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert refs and all(ref.startswith(("/", "#", "data:")) and not ref.startswith("//") for ref in refs)
