"""The city's department directory as the console needs it: the codes a new user's
department is checked against -- routing's directory, else the city's published
file when routing does not answer within 3 seconds."""
import eventlet

from shared.platform.city import load_city

ASK_FOR = 3  # seconds routing has to answer


def department_codes(routing, config):
    """The directory's department codes: ``routing`` (its RPC proxy) asked first."""
    try:
        with eventlet.Timeout(ASK_FOR):
            return {d["code"] for d in routing.list_departments.call_async().result()}
    except (Exception, eventlet.Timeout):  # routing away: the city's published file
        return {d["code"] for d in load_city(config).get("departments", [])}
