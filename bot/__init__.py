"""sms-bridge: SMS from an SMSC inbox, relayed into Telegram chats."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sms-bridge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
