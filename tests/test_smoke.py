from tests.conftest import login


def test_login_page_renders(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert "Masuk" in resp.get_data(as_text=True) or "Log in" in resp.get_data(as_text=True)


def test_login_and_dashboard(client, users):
    resp = login(client, users["coordinator"].email)
    assert resp.status_code == 302
    resp = client.get("/dashboard")
    assert resp.status_code == 200
