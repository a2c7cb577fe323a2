"""Every page names the site's icon, so browsers do not ask for a /favicon.ico that answers 404."""

import re

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.django_db
def test_pages_link_an_icon_that_exists(client):
    page = client.get("/").content.decode()
    match = re.search(r'<link rel="icon" href="/static/([^"]+)"', page)
    assert match, "the layout links no icon"
    assert finders.find(match.group(1)), f"{match.group(1)} is not a static file"
