"""The JSON-LD contexts of our NGSI-LD entities: the ETSI core context (by URL, never copied) and
our own context document, which maps every attribute and type name we use to an IRI.

Names that smart-data-models defines (dataModel.Transportation and its common terms) keep their
IRIs there, so a consumer who knows ``Vehicle`` or ``battery`` from those models reads ours the
same way; the rest live in our own vocabulary, under the platform's public URL. No name here is
one the core context defines (it is ``@protected``: a broker refuses a context that redefines
``location``, ``status`` or ``description``), so the core's meaning of those always holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The ETSI NGSI-LD core context (ETSI GS CIM 009 V1.8.1, Annex B) that entities name by default.
CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
#: Where the platform serves our context document (``web.opendata.ngsi``).
CONTEXT_PATH = "/ngsi-ld/context.jsonld"
#: Our vocabulary's namespace, under the platform's public URL.
VOCAB_PATH = "/ngsi-ld/vocab#"

SDM = "https://smartdatamodels.org/"
SDM_TRANSPORT = "https://smartdatamodels.org/dataModel.Transportation/"

#: Entity types: smart-data-models' where one fits, ours otherwise.
SDM_TYPES = ("Vehicle", "BikeHireDockingStation", "RoadSegment")
OWN_TYPES = ("BatterySwapStation", "GeofencingZone", "Operator")

#: Attribute names smart-data-models defines in dataModel.Transportation.
SDM_TRANSPORT_TERMS = (
    "allowedVehicleType",
    "availableBikeNumber",
    "battery",
    "category",
    "endPoint",
    "fleetVehicleId",
    "freeSlotNumber",
    "length",
    "maximumAllowedSpeed",
    "mileageFromOdometer",
    "serviceStatus",
    "startPoint",
    "totalSlotNumber",
    "vehiclePlateIdentifier",
    "vehicleType",
)
#: Attribute names of smart-data-models' common terms (shared by all its models).
SDM_COMMON_TERMS = ("areaServed", "name", "owner", "validFrom", "validThrough")
#: Our own attribute names.
OWN_TERMS = (
    "chargedPackNumber",
    "chargedPacksByClass",
    "chargingPackNumber",
    "confidence",
    "parkingAllowed",
    "parkingKind",
    "percentile",
    "refDockingStation",
    "rideAllowed",
    "roughness",
    "roughnessHigh",
    "roughnessLow",
    "routingPenalty",
    "samples",
    "vehicleClass",
    "vehicleStatus",
    "worst",
    "zoneKind",
)

ENTITY_TYPES = SDM_TYPES + OWN_TYPES


@dataclass(frozen=True, slots=True)
class Contexts:
    """The contexts an export names: the core context's URL and where ours is served.

    ``base_url`` is the platform's public URL (``https://fleet.example.org``), without the
    trailing slash; our context document and vocabulary live under it.
    """

    base_url: str
    core_url: str = CORE_CONTEXT_URL

    def __post_init__(self) -> None:
        for name in ("base_url", "core_url"):
            value = getattr(self, name)
            if not value.startswith(("http://", "https://")) or value.endswith("/"):
                msg = f"{name} must be an http(s) URL without a trailing slash, got {value!r}"
                raise ValueError(msg)

    @property
    def own_url(self) -> str:
        """Where our context document is served."""
        return self.base_url + CONTEXT_PATH

    @property
    def vocab(self) -> str:
        """Our vocabulary's namespace IRI."""
        return self.base_url + VOCAB_PATH

    def entity_context(self) -> list[str]:
        """The ``@context`` of every entity: the core first, ours after it."""
        return [self.core_url, self.own_url]

    def to_dict(self) -> dict[str, str]:
        """As plain data (a job's argument)."""
        return {"base_url": self.base_url, "core_url": self.core_url}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contexts:
        """Back from :meth:`to_dict`."""
        return cls(str(data["base_url"]), str(data["core_url"]))


def context_document(contexts: Contexts) -> dict[str, Any]:
    """Our context document: every type and attribute name of the export, mapped to its IRI."""
    terms: dict[str, Any] = {
        "@version": 1.1,
        "sdm": SDM,
        "sdm-transport": SDM_TRANSPORT,
        "fleetops": contexts.vocab,
    }
    terms.update({name: f"sdm-transport:{name}" for name in SDM_TYPES})
    terms.update({name: f"fleetops:{name}" for name in OWN_TYPES})
    terms.update({name: f"sdm-transport:{name}" for name in SDM_TRANSPORT_TERMS})
    terms.update({name: f"sdm:{name}" for name in SDM_COMMON_TERMS})
    terms.update({name: f"fleetops:{name}" for name in OWN_TERMS})
    return {"@context": terms}
