"""Device profiles, alarm rules, demo inventory, icons, style sheets and translations."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
PROFILES_DIR = ROOT / "profiles"
ALARM_RULES = ROOT / "alarms" / "default.yaml"
TRANSLATIONS_DIR = ROOT / "translations"
ICON = ROOT / "icons" / "rackwatch.svg"
