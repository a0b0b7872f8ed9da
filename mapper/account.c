/* mapper/account.c: the action-count conventions (see account.h). */
#include "mapper/account.h"

double mp_energy_charge(const mp_arch *a, mp_acct_class cls, double pj_per_action, double n)
{
    double per = 1;
    if (cls == MP_ACCT_BUFFER) {
        const mp_store *b = mp_arch_buffer(a);
        if (b && b->words_per_access > 0)
            per = b->words_per_access;
    } else if (cls == MP_ACCT_DRAM && a->mem.bytes_per_access > 0)
        per = a->mem.bytes_per_access;
    return pj_per_action > 0 ? n / per * pj_per_action : 0;
}
