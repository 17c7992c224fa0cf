"""The staff console (/admin): accounts and sessions, knowledge editing with versions, the hit test, the
inbox of questions 灵灵 could not answer, analytics and the review of filings. See docs/staff.md."""
