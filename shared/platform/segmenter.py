"""Chinese word segmentation, one jieba for every service that reads citizens' words.

jieba's dictionary ships with the package (nothing is downloaded); it is loaded
once per process, on first use (about a second).
"""
import logging

_jieba = None


def segmenter():
    """jieba, initialised once."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba
