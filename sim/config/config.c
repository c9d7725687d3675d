typedef int membox_placeholder_t;
