"""End-to-end tests in headless Chromium (Playwright): what an applicant sees and does."""
