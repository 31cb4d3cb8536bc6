"""(being written)"""


class OperatorPages:
    pass
