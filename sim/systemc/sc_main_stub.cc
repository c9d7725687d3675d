/*
 * sc_main for libsystemc, never called.
 *
 * Debian's libsystemc.so carries SystemC's own main() (sc_main_main.cpp: main() calls
 * sc_elab_and_sim(), which calls the user's sc_main()), so the library refers to sc_main and
 * the linker refuses to make an executable that leaves it undefined. membox-sim's main() is the
 * C CLI's; an executable's own main() wins over the library's, so the library's main() and this
 * function are never reached. The CLI elaborates and calls sc_start() from sim_systemc_run(),
 * which SystemC allows from any caller: sc_elab_and_sim() only records argc/argv for sc_argv()
 * and catches what sc_main() throws, and sim_systemc_run() catches SystemC's errors itself.
 *
 * It sits alone in its object file of the simsystemc archive, so the linker takes it only when
 * nothing else defines sc_main: a SystemC test binary with its own sc_main() keeps its own.
 * It must follow #include <systemc>, which declares it extern "C" (STYLE.md, toolchain facts).
 */
#include <systemc>

int sc_main(int argc, char *argv[])
{
    /* Unreachable in membox-sim (see above); a program that did reach it has no model to run. */
    return 1;
}
