"""The chat side: commands, replies and button presses, answered in the chat they came from.

`dispatcher` turns Telegram updates into handlers, by three registries: the commands
(`commands/registry`, with the built-in commands: history, export, stats, status, help),
the button kinds (`button_kinds`) and the reply handlers. `feature` is the shape every
optional feature takes to hand the chat its commands, buttons and /status lines, so this
package names no feature. `guard` decides who may ask; `prompts` knows the bot's prompts
by their message; `answers` splits long answers; `windows` reads the time windows people
type.
"""
