from tests.helpers import session_cookie, sign_in


def test_sign_in_with_password_and_totp_reaches_home(app, client, factories):
    user = factories.user()
    response = sign_in(app, client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Test User" in home.get_data(as_text=True)
    assert session_cookie(client, app)
