"""How text reads: translations, HTML escaping, SMS as chats show them, times and numbers.

Pure functions of their inputs (the language, the zone and "now" are passed in), so a
message can be rendered and looked at in a test without a bot.
"""
