"""First steps: `sms-bridge demo` (the real bridge on a simulated SMSC) and `sms-bridge chats`.

The demo runs the bridge exactly as `sms-bridge run` does, with its own database and an
SMSC inbox and outbox simulated inside the process on 127.0.0.1: no SMSC account, no SMS
to a real phone. `chats` finds the IDs the settings need, by listening only.
"""
