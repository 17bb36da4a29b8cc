"""Java, and Apache Kafka's jars, for the ``kafka`` broker engine.

AlertView does not ship Kafka (43 MB of jars). ``resources/kafka/pom.xml``
pins a version; the first use copies its jars from Maven Central with the
standard tool (``mvn dependency:copy-dependencies``) into the user's cache
folder, where later starts find them. A marker file is written only after a
complete copy, so an interrupted fetch is done again, never half-used.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

from alertview.core.broker.engines import BrokerError
from alertview.resources import resource_dir

log = logging.getLogger(__name__)

MIN_JAVA = 17
#: Resolving ~45 jars takes seconds on a good line; a slow mirror may take minutes.
FETCH_TIMEOUT = 900
#: In full: with only the "dependency:" prefix, an unreachable Maven Central is reported
#: as "No plugin found for prefix", which hides the cause.
COPY_GOAL = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRANSFER = re.compile(
    r"Could not transfer artifact (\S+) from/to \S+ \(([^)]+)\): "
    r"(?:transfer failed for \S+: )?(.+?)(?: -> \[Help 1\])?$"
)
INSTALL_JAVA = "on Debian/Ubuntu: sudo apt-get install default-jdk-headless"
INSTALL_MAVEN = "on Debian/Ubuntu: sudo apt-get install maven"


def kafka_dir() -> Path:
    """``resources/kafka``: the pom that pins Kafka, and its log4j2 configuration."""
    return resource_dir() / "kafka"


@cache
def kafka_version() -> str:
    """The Kafka version pinned in ``resources/kafka/pom.xml`` (the one place it is set)."""
    root = ET.parse(kafka_dir() / "pom.xml").getroot()
    found = root.find("{http://maven.apache.org/POM/4.0.0}properties/"
                      "{http://maven.apache.org/POM/4.0.0}kafka.version")  # fmt: skip
    version = "" if found is None else (found.text or "").strip()
    if not version:
        raise BrokerError(f"no <kafka.version> in {kafka_dir() / 'pom.xml'}")
    return version


def cache_dir() -> Path:
    """Per-user cache folder (``ALERTVIEW_CACHE_DIR`` overrides it)."""
    override = os.environ.get("ALERTVIEW_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("AlertView")


def java_major(version_output: str) -> int | None:
    """The major version in ``java -version``'s output ("1.8.0_392" is 8, "17.0.15" 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java() -> str:
    """A ``java`` of version 17 or newer: ``$JAVA_HOME/bin/java``, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    candidates = [str(Path(home) / "bin" / "java")] if home else []
    candidates += [found] if (found := shutil.which("java")) else []
    seen = []
    for java in candidates:
        if not Path(java).is_file():
            continue
        try:
            result = subprocess.run(
                [java, "-version"], capture_output=True, text=True, timeout=60, check=False
            )
        except OSError:
            continue
        major = java_major(result.stderr + result.stdout)
        if major is not None and major >= MIN_JAVA:
            return java
        seen.append(f"{java} is Java {major if major is not None else '(unknown)'}")
    found_text = "; ".join(seen) if seen else "no java found"
    raise BrokerError(
        f"the kafka engine needs Java {MIN_JAVA} or newer ({found_text}); {INSTALL_JAVA}"
    )


def _maven_failure(output: str) -> str:
    """Maven's first ``[ERROR]`` line, which says what could not be resolved and why."""
    lines = [line.strip() for line in _ANSI.sub("", output).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("[ERROR]") and len(line) > len("[ERROR]"):
            if transfer := _TRANSFER.search(line):  # the network's answer ends a long line
                artifact, url, reason = transfer.groups()
                return f"could not download {artifact} from {url}: {reason}"
            return line.removeprefix("[ERROR]").removesuffix("-> [Help 1]").strip()[:400]
    return lines[-1][:400] if lines else "no output"


def ensure_jars() -> Path:
    """The folder of Kafka's jars, fetched from Maven Central on first use.

    Later calls return at once. Raises ``BrokerError`` with one line when Java
    or Maven is missing or Maven Central cannot be reached.
    """
    version = kafka_version()
    home = cache_dir() / f"kafka-{version}"
    libs = home / "libs"
    marker = home / "complete.json"
    if marker.is_file() and libs.is_dir():
        return libs
    java = find_java()
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            f"the kafka engine needs Maven (mvn) once, to fetch Apache Kafka {version}'s jars "
            f"from Maven Central; {INSTALL_MAVEN}"
        )
    home.mkdir(parents=True, exist_ok=True)
    # Copy into a folder of our own, then rename: a second process fetching at the same
    # time, or an interrupted fetch, never leaves a half-filled libs/ behind a marker.
    partial = home / f"libs.part-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    log.info("fetching Apache Kafka %s's jars with %s into %s", version, mvn, libs)
    env = {**os.environ, "JAVA_HOME": str(Path(java).resolve().parents[1])}
    command = [
        mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(kafka_dir() / "pom.xml"),
        COPY_GOAL, "-DincludeScope=runtime",
        f"-DoutputDirectory={partial}",
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=FETCH_TIMEOUT, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        raise BrokerError(
            f"fetching Apache Kafka {version}'s jars from Maven Central took over "
            f"{FETCH_TIMEOUT} s; try again"
        ) from None
    jars = sorted(p.name for p in partial.glob("*.jar")) if partial.is_dir() else []
    if result.returncode != 0 or f"kafka_2.13-{version}.jar" not in jars:
        shutil.rmtree(partial, ignore_errors=True)
        raise BrokerError(
            f"could not fetch Apache Kafka {version}'s jars from Maven Central with mvn: "
            f"{_maven_failure(result.stdout + result.stderr)}"
        )
    if marker.is_file() and libs.is_dir():  # another process finished first
        shutil.rmtree(partial, ignore_errors=True)
        return libs
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    marker.write_text(json.dumps({"kafka": version, "jars": jars}, indent=1) + "\n")
    return libs
