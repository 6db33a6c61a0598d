"""What the clinic believes: findings, conditions, likelihood ratios, red flags and medication
classes, read from the cited TOML files in ``data/`` into frozen records."""

from weizhong.knowledge.loader import KnowledgeError, load_knowledge
from weizhong.knowledge.records import Knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]
