"""(being written)"""


class CasePages:
    pass
