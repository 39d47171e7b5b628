/* test_wait.c — upload's --wait (upload/wait.h): which job status ends the
 * wait how, and how far apart the reads are. */
#include "t.h"
#include "upload/wait.h"

TEST(test_wait_finished_is_done)
{
    T_INT(WAIT_DONE, wait_verdict("FINISHED"));
}

TEST(test_wait_finalizing_statuses_mean_read_again)
{
    T_INT(WAIT_MORE, wait_verdict("FINALIZE_PENDING"));
    T_INT(WAIT_MORE, wait_verdict("FINALIZING_ENTITIES"));
    T_INT(WAIT_MORE, wait_verdict("FINALIZING_RELATIONSHIPS"));
    T_INT(WAIT_MORE, wait_verdict("AWAITING_UPLOADS"));
}

TEST(test_wait_any_other_status_is_failed_even_an_unknown_one)
{
    T_INT(WAIT_FAILED, wait_verdict("ABORTED"));
    T_INT(WAIT_FAILED, wait_verdict("ABORTED_DUE_TO_INVALID_CONFIGURATION"));
    T_INT(WAIT_FAILED, wait_verdict("ERROR_BAD_DATA"));
    T_INT(WAIT_FAILED, wait_verdict("UNKNOWN"));
    T_INT(WAIT_FAILED, wait_verdict(""));
    T_INT(WAIT_FAILED, wait_verdict("finished")); /* statuses are upper case */
}

TEST(test_wait_pauses_double_from_one_second_up_to_fifteen)
{
    long want[] = {1000, 2000, 4000, 8000, 15000, 15000};
    long p = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        p = wait_next_pause_ms(p);
        T_INT(want[i], p);
    }
}
