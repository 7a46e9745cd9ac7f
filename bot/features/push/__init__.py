"""Push hints: SMSC calls this endpoint when an SMS arrives, and the poller polls at once."""
