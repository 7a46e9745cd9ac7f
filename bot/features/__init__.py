"""Optional features, each one package: on-call take buttons, reminders, replies by SMS,
push hints, retention. Settings turn each on; the core works without any of them.
"""
