"""The chat side: commands and button presses, answered in the chat they came from.

`dispatcher` turns Telegram updates into handlers; `commands` holds the registry and the
built-in commands (history, export, stats, status, help); `guard` decides who may ask;
`answers` splits long answers; `windows` reads the time windows people type.
"""
