"""Where an SMS enters: the poller reads the inbox, paces itself and handles failures.

Each page is stored in one transaction and the cursor moves with it, so a crash midway
loses nothing and a restart stores nothing twice. The push endpoint (`bot.features.push`)
only wakes the poller: SMSC's inbox stays the one source of SMS.
"""
