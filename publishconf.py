"""Pelican settings for the published site: absolute URLs from SITEURL, feeds on."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402,F401,F403

# Publish passes SITEURL from the environment or the Terraform output `site_url`.
SITEURL = os.environ.get("SITEURL", "").rstrip("/")
RELATIVE_URLS = False

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"

DELETE_OUTPUT_DIRECTORY = True

# Drafts (`Status: draft`) and posts dated in the future are for `make serve` only: the published
# build writes neither, so publish never uploads them. A future post goes live with the first
# publish on or after its date.
WITH_FUTURE_DATES = False
DRAFT_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
