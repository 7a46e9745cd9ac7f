"""Real HTTP servers on 127.0.0.1 standing in for SMSC and the Telegram Bot API, and a
harness that runs the real `sms-bridge run` process against them."""
