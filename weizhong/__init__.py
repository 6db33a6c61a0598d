"""weizhong — a clinical workbench for acupuncture, chiropractic and physical-therapy clinics."""

__version__ = "0.1.0"
