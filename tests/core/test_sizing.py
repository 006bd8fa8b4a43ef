import pytest

from event_driven import SizingInputError, calculate_partitions


def test_consumer_side_bound_wins_when_consumers_are_slower():
    plan = calculate_partitions(50_000, 10_000, 3, consumer_throughput_per_partition=2_000)
    assert (plan.producer_bound, plan.consumer_bound) == (5, 25)
    assert plan.partitions == 26  # ceil(25) = 25, then even
    assert plan.total_replicas == 78
    assert "max(50000/10000, 50000/2000)" in plan.explanation


@pytest.mark.parametrize(("t", "p", "expected"), [(1, 1000, 2), (999, 1000, 2), (3001, 1000, 4), (4000, 1000, 4)])
def test_rounds_up_then_to_even(t, p, expected):
    assert calculate_partitions(t, p, 1).partitions == expected


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"throughput_per_second": 0, "max_throughput_per_partition": 1}, "throughput_per_second"),
        ({"throughput_per_second": 10, "max_throughput_per_partition": -1}, "max_throughput_per_partition"),
        ({"throughput_per_second": 10, "max_throughput_per_partition": 1, "replication_factor": 0}, "replication_factor"),
        ({"throughput_per_second": 10, "max_throughput_per_partition": 1, "consumer_throughput_per_partition": 0}, "consumer_throughput_per_partition"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, name):
    with pytest.raises(SizingInputError, match=name):
        calculate_partitions(**kwargs)
