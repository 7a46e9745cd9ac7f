"""Silences from the chat: `/mute 2h door 7` relays the matching SMS there without a
sound, a take button or reminders until it ends; nothing is dropped.

`matching` reads /mute and says which SMS a silence covers (pure); `texts` is how they
read; `commands` answers /mute, /mutes, /unmute and the end button; `feature` is the
running part: the relay's hook that mutes (`Muting`) and the task that tells a chat when
a silence ended (`SilenceEnds`). Silences are stored (`state.silences`): they outlive a
restart and end by themselves.
"""

from bot.chat.feature import FeatureKind
from bot.features.silences.commands import BUTTONS, COMMANDS
from bot.features.silences.feature import SilencesSettings, build

KIND: FeatureKind[SilencesSettings] = FeatureKind(
    "silences", build, commands=COMMANDS, buttons=BUTTONS
)
