"""Events of the listings: other features react to them without being imported here.

`need_changed` and `offer_changed` are sent (sender: the Need or the Offer, `now=` the
instant) after a need or an offer is saved or changes status, inside the unit of work of
the request or command that changed it: receivers add to the same transaction. The
matcher connects to them (`matching.incremental.connect_signals`, called by `create_app`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

need_changed = _signals.signal("need-changed")
offer_changed = _signals.signal("offer-changed")
