"""(being written)"""


class DispatchPages:
    pass
