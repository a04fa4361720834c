"""Peak memory of the running process."""


def peak_rss_mib():
    """Peak resident set size of this process in MiB (Linux's ``VmHWM``).

    Unlike ``ru_maxrss``, which Linux carries over ``fork`` and ``exec`` (a fresh process
    started by a large one reports the large one's peak), ``VmHWM`` belongs to the process's
    own memory.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status (peak memory is measured on Linux only)")
