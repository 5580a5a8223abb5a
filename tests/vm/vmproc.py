"""The QEMU processes of a guest on this host (the vm suite and
bench/vm.py)."""
import os


def qemu_pids(uuid):
    """The QEMU processes of guest 'uuid' on this host."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and b"qemu-system" in argv[0] and any(uuid.encode() in a for a in argv):
            pids.append(int(d))
    return pids
