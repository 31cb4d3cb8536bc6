"""(being written)"""


class SupervisorPages:
    pass
