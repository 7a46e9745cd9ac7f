"""What every part of the bridge shares: the database handle, health, alerts, logs, metrics.

Nothing here knows a chat command, a route or a feature. `inbox` is the protocol every
SMS source implements (SMSC is the one today); `bridge_state` is what the bridge is doing
now; `health` gathers the facts `/healthz` and `/status` show; `alerts` tells the chats
when something stays broken; `telegram_errors` sorts what Telegram refuses.
"""
