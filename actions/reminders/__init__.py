"""Reminders that arrive: the channels (SMTP e-mail, an SMS gateway's HTTP webhook, the chat), their settings and
`ReminderService`, which records the daily reminders (actions/filings/reminders.py) and delivers them."""
