"""What the clinic believes: findings, conditions, likelihood ratios, red flags, medication
classes, questionnaires and the point atlas, read from the cited TOML files in ``data/`` into
frozen records.

``registry.py`` lists every knowledge file, its loader and where it is found (a clinic's copy in
``$WEIZHONG_KNOWLEDGE_DIR`` overrides the bundled file); a malformed file raises
:class:`KnowledgeError` naming the file, the entry and the problem.
"""

from weizhong.knowledge.loader import KnowledgeError, load_knowledge
from weizhong.knowledge.records import Knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]
