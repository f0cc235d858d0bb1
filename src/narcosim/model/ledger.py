"""Mass balance: every kilogram accounted for at every step.

produced = in Mexican stock + seized at the border + at the hubs + on the streets
           + sold (used) + lost + seized inside the US

The ledger runs last in each step and records, per drug, the imbalance relative to what has
been produced so far; a correct model keeps it at rounding error (tests hold it to 1e-9).
"""

from __future__ import annotations

import numpy as np

from narcosim.core.module import Module
from narcosim.core.sim import Sim
from narcosim.model.drugs import SUPPLY_DRUGS

#: The ledger's accounts, in the order recorded.
ACCOUNTS: tuple[str, ...] = (
    "produced", "mexico_stock", "seized", "hub_stock", "street_stock", "sold", "lost",
    "seized_domestic",
)

#: Where the produced account stands; every account after it is where the product went.
PRODUCED = ACCOUNTS.index("produced")


class Ledger(Module):
    """Cumulative accounts per drug and the relative imbalance each step."""

    name = "ledger"

    def init_pre(self, sim: Sim) -> None:
        """Declare the accounts and the imbalance."""
        self.results.define("account_kg", {"drug": SUPPLY_DRUGS, "account": ACCOUNTS},
                            units="kg (cumulative for flows, held for stocks)",
                            doc="The mass-balance accounts.")
        self.results.define("imbalance", {"drug": SUPPLY_DRUGS},
                            doc="|produced - everything else| / produced.")

    def accounts(self) -> np.ndarray:
        """The accounts now, shape (drugs, accounts)."""
        m = self.sim.modules
        prod, traf, dist = m["production"], m["trafficking"], m["distribution"]
        return np.stack([
            prod.produced_total,
            prod.stock.sum(axis=0),
            traf.seized_total,
            dist.hub_stock.sum(axis=(0, 2)),
            dist.state_stock.sum(axis=(0, 2)),
            dist.sold_total,
            dist.lost_total,
            dist.seized_total,
        ], axis=1)

    def update_results(self) -> None:
        """Record the accounts and the relative imbalance."""
        acc = self.accounts()
        ti = self.sim.ti
        self.results["account_kg"][ti] = acc
        produced = acc[:, PRODUCED]
        gap = np.abs(produced - acc[:, PRODUCED + 1:].sum(axis=1))
        self.results["imbalance"][ti] = np.divide(gap, produced, out=np.zeros_like(gap),
                                                  where=produced > 0)
