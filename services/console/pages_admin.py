"""(being written)"""


class AdminPages:
    pass
