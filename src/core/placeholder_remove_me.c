/* temporary: keeps CMake happy until the core modules land */
typedef int pay_placeholder;
