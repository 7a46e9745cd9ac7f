"""Relay to Telegram: every stored SMS reaches every chat it is meant for, once.

`relay` is the loop; `plan` decides what to send next (one SMS or a digest; pure);
`chats` keeps one `gateway` per chat, the only path that writes into a chat; `chat_pace`
spaces those writes by Telegram's limits; `hooks` is how a feature takes part in relaying
a message without the relay knowing it.
"""
