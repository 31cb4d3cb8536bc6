"""A caller handed to 119 from the operator's form, in a real browser: the screen pop opens the
form with the call, the operator types 着火, the suggestions ask whether to transfer to 119,
one click records it (closed at once, never dispatched), and the ticket page shows the
transfer, the call id and the recording. Words that sound like an emergency also stop a
plain "record and dispatch" once, to ask."""
import pytest

CALL_ID = "1764921600.118"
RECORDING = "https://pbx.example.cn/rec/1764921600.118.mp3"


@pytest.fixture(scope="module")
def operator(workbench):
    workbench.user("t.operator", "operator", name="陶接线")
    return workbench.sign_in("t.operator")


def test_the_operator_hands_a_fire_to_119_from_the_form(workbench, operator):
    operator.goto(f"{workbench.url}/operator?call_id={CALL_ID}&recording_url={RECORDING}")
    assert CALL_ID in operator.inner_text("#on-call")
    operator.type("#caller_phone", "13705321190", delay=10)
    operator.fill("#title", "饭店后厨着 火了")  # a space typed in the middle of the word
    operator.type("#description", "崂山区香港东路一家饭店后厨冒烟，火很大", delay=10)
    operator.select_option("#district", "崂山区")
    operator.wait_for_selector("#emergency-suggest")
    prompt = operator.inner_text("#emergency-suggest")
    assert "着火" in prompt and "119" in prompt
    workbench.shot(operator, "operator-emergency-prompt")
    operator.click("#emergency-suggest button")
    operator.wait_for_url("**/operator?done=*")
    flash = workbench.flash(operator)
    number = operator.url.split("done=")[1]
    assert number in flash and "119" in flash

    operator.goto(f"{workbench.url}/tickets/{number}")
    transfer = operator.inner_text("#transfer")
    assert "119" in transfer and "消防" in transfer and "着火" in transfer and "陶接线" in transfer
    assert operator.inner_text("#call-id") == CALL_ID
    assert operator.get_attribute("#recording", "href") == RECORDING
    assert "已转其他热线" in operator.inner_text("main")
    workbench.shot(operator, "ticket-transferred-to-119")
    view = workbench.stack.get(number)
    assert view["status"] == "transferred" and view["department"] is None  # never dispatched


def test_emergency_words_stop_record_and_dispatch_once_to_ask(workbench, operator):
    operator.goto(f"{workbench.url}/operator")
    operator.fill("#caller_phone", "13705321191")
    operator.fill("#title", "楼道里有很重的煤气味")
    operator.fill("#description", "怀疑燃气泄漏，请派人来看")
    operator.select_option("#district", "崂山区")
    operator.click("#ticket-form .actions button.primary")
    operator.wait_for_selector("#emergency-prompt")
    assert "119" in operator.inner_text("#emergency-prompt")
    assert operator.input_value("#title") == "楼道里有很重的煤气味"  # nothing typed is lost
    workbench.shot(operator, "operator-emergency-on-record")
    operator.fill("#transfer_reason", "燃气泄漏，转119")
    operator.fill("#transfer_reference", "F-2026-0042")
    operator.click("#emergency-prompt button.primary")
    operator.wait_for_url("**/operator?done=*")
    number = operator.url.split("done=")[1]
    view = workbench.stack.get(number)
    assert view["status"] == "transferred"
    assert view["transfer"]["reason"] == "燃气泄漏，转119" and view["transfer"]["reference"] == "F-2026-0042"
