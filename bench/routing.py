"""``make bench-routing``: how fast routing decides, with a trained model and without.

Trains on a synthetic Chinese history, then times the whole decision for
tickets it has not seen -- rules, the model's proposal with its reasons, the
deadlines, the event body -- one at a time, as the service does. Prints
figures; asserts nothing.
"""
import argparse
import statistics
import time
import warnings


def time_decisions(tickets, directory, learner, threshold, policy):
    from services.routing.domain import decision as records
    from services.routing.domain.rules import DEFAULT_CO_HANDLER_THRESHOLD, decide
    from shared.contract.events import utcnow

    latencies, rules = [], {}
    for n, ticket in enumerate(tickets):
        start = time.perf_counter()
        decision = decide(ticket, directory, learner, threshold, co_handler_threshold=DEFAULT_CO_HANDLER_THRESHOLD)
        records.from_decision(f"B-{n}", ticket, decision, policy, utcnow(), directory)
        latencies.append(time.perf_counter() - start)
        rules[decision.rule] = rules.get(decision.rule, 0) + 1
    return latencies, rules


def report(label, latencies, rules):
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{label:<26} {len(ms) / (sum(ms) / 1000):>9.0f} decisions/s   p50 {statistics.median(ms):6.2f} ms   "
          f"p99 {p99:6.2f} ms   max {ms[-1]:6.2f} ms   rules {rules}")


def main(argv=None):
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", type=int, default=60, help="training work orders per department")
    parser.add_argument("--tickets", type=int, default=2000)
    args = parser.parse_args(argv)

    from services.routing.domain.directory import Directory
    from services.routing.learning import classifier, outcomes, stored
    from services.routing.learning import training as learning
    from services.routing.learning.synthetic import generate
    from shared.platform.city import load_city
    from shared.timelimits.deadlines import DeadlinePolicy

    directory = Directory.from_dict(load_city({}))
    policy = DeadlinePolicy.from_config({})
    history = generate(args.history, seed=1)
    start = time.perf_counter()
    # as the service trains: with the directory's words as weak pseudo-examples
    model = learning.train([t for t, _ in history], [c for _, c in history], directory,
                           priors=outcomes.prior_examples(directory, history=[c for _, c in history]))
    trained_in = time.perf_counter() - start
    size = len(stored.dumps(model))
    import os

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work inflates the tail)")
    print(f"trained on {len(history)} work orders in {trained_in:.1f} s (with a 3-fold threshold measurement); "
          f"model {size / 1024:.0f} KiB; threshold {learning.threshold_for(model, 'auto'):.3f}")

    fresh = generate(max(1, args.tickets // 23 + 1), seed=99)[:args.tickets]
    tickets = [{"title": text[:12], "description": text, "district": "市南区", "urgency": "normal"}
               for text, _ in fresh]
    catalogue = [dict(t, category="heating") for t in tickets[: len(tickets) // 4]]

    time_decisions(tickets[:50], directory, model, 0.2, policy)  # warm up
    report("trained model", *time_decisions(tickets, directory, model, learning.threshold_for(model, "auto"), policy))
    keywords = classifier.KeywordModel(directory)
    report("keyword matcher", *time_decisions(tickets, directory, keywords, 0.5, policy))
    report("catalogue category", *time_decisions(catalogue, directory, model, 0.2, policy))
    right = sum(model.suggest(t["description"])[0].department_code == code for t, (_, code) in zip(tickets, fresh))
    print(f"(the model's first choice matched the generator's department for {right / len(tickets):.1%} "
          f"of these unseen synthetic tickets)")


if __name__ == "__main__":
    main()
