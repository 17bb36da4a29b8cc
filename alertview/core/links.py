"""Where to look an alert up elsewhere: broker pages by object id, archives by position."""

from __future__ import annotations

from urllib.parse import quote

from alertview.core.alert import Alert
from alertview.core.surveys.minor_planets import UNNAMED_PREFIX

#: Search radius for position-based services, in arcseconds.
RADIUS_ARCSEC = 5.0


def alert_links(alert: Alert) -> list[tuple[str, str]]:
    """(name, URL) pairs for the alert: brokers by object id, catalogues by RA/Dec."""
    links: list[tuple[str, str]] = []
    object_id = alert.object_id
    if object_id and alert.survey == "ztf":
        links += [
            ("Fink", f"https://fink-portal.org/{quote(object_id)}"),
            ("ALeRCE", f"https://alerce.online/object/{quote(object_id)}"),
            ("Lasair", f"https://lasair-ztf.lsst.ac.uk/objects/{quote(object_id)}/"),
        ]
    elif object_id and alert.survey == "lsst" and not object_id.isdigit():
        if not object_id.startswith(UNNAMED_PREFIX):  # a known solar-system object
            links += [
                ("MPC", f"https://minorplanetcenter.net/db_search/show_object?object_id="
                        f"{quote(object_id)}"),
                ("JPL SBDB", f"https://ssd.jpl.nasa.gov/tools/sbdb_lookup.html#/?sstr="
                             f"{quote(object_id)}"),
            ]  # fmt: skip
    elif object_id and alert.survey == "lsst":
        links += [
            ("Fink", f"https://lsst.fink-portal.org/{quote(object_id)}"),
            ("Lasair", f"https://lasair.lsst.ac.uk/objects/{quote(object_id)}/"),
        ]
    ra, dec = alert.ra, alert.dec
    if ra == ra and dec == dec:  # not NaN
        r = RADIUS_ARCSEC
        links += [
            (
                "TNS",
                f"https://www.wis-tns.org/search?ra={ra:.6f}&decl={dec:.6f}"
                f"&radius={r:g}&coords_unit=arcsec",
            ),
            (
                "SIMBAD",
                f"https://simbad.cds.unistra.fr/simbad/sim-coo?Coord={ra:.6f}%20{dec:+.6f}"
                f"&Radius={r:g}&Radius.unit=arcsec",
            ),
            (
                "NED",
                f"https://ned.ipac.caltech.edu/conesearch?coordinates={ra:.6f}d%20{dec:+.6f}d"
                f"&radius={r / 60:.3f}",
            ),
            (
                "Legacy Survey",
                f"https://www.legacysurvey.org/viewer?ra={ra:.6f}&dec={dec:.6f}"
                f"&layer=ls-dr10&zoom=16&mark={ra:.6f},{dec:.6f}",
            ),
            (
                "Aladin Lite",
                f"https://aladin.cds.unistra.fr/AladinLite/?target={ra:.6f}%20{dec:+.6f}&fov=0.02",
            ),
        ]
    return links
