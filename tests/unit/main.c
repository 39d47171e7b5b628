/*
 * main.c — runs the unit tests of common/ (see t.h for how a test looks).
 *
 *     build/rel/unit-tests            run every test
 *     build/rel/unit-tests ndjson     run the tests whose name contains "ndjson"
 *
 * One line per test ("ok   name" or "FAIL name: what was expected, what came
 * (where)"), then a count. Exit status 0 only if every test that ran passed;
 * 1 if one failed or no test matched the filter.
 *
 * The list below is the table of contents: one line per behaviour, grouped by
 * the module under test, in the order they run.
 */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TESTS(X)                                                                                   \
    /* settle (upload) */                                                                          \
    X(test_ndjson_pieces_of_a_long_line_add_up_and_memory_stays_fixed)                             \
    X(test_work_meta_of_the_same_org_and_registry_is_accepted)                                     \
    X(test_work_meta_of_another_org_registry_or_format_is_refused)                                 \
    X(test_work_definitive_answers_are_2xx_and_404)                                                \
    X(test_work_a_kind_file_cut_short_by_a_crash_keeps_its_whole_records)                          \
    X(test_work_runs_are_read_newest_first_and_carried_with_their_status_class)                    \
    X(test_work_run_names_are_numbered)                                                            \
    X(test_work_an_incomplete_dump_is_resumed_a_complete_one_refused_pointing_to_since)            \
    X(test_work_a_commit_cut_short_goes_back_into_its_run)                                         \
    X(test_work_an_incomplete_dump_is_adopted_as_the_newest_run)                                   \
    X(test_work_a_kind_file_cut_inside_its_compressed_data_keeps_the_records_before)               \
    X(test_prev_an_etag_becomes_if_none_match_and_wins_over_last_modified)                         \
    X(test_prev_without_an_etag_last_modified_becomes_if_modified_since)                           \
    X(test_prev_a_validator_that_could_forge_a_header_is_not_sent)                                 \
    X(test_prev_a_record_gives_its_kind_subject_status_and_validators)                             \
    X(test_prev_a_record_that_does_not_parse_is_not_used)                                          \
    X(test_prev_a_carried_record_says_revalidated_before_its_body)                                 \
    X(test_prev_a_record_carried_twice_has_one_revalidated_pair)                                   \
    X(test_settle_a_batch_joins_when_nothing_else_is_unknown)                                      \
    X(test_settle_an_equal_count_may_not_join)                                                     \
    X(test_settle_a_count_equal_to_a_sum_of_others_may_not_join)                                   \
    X(test_settle_powers_of_two_always_keep_distinct_sums)                                         \
    X(test_settle_every_join_it_allows_leaves_one_subset_per_sum)                                  \
    X(test_settle_huge_batches_are_not_held_to_the_rule)                                           \
    X(test_settle_none_arrived_when_the_counter_shows_no_excess)                                   \
    X(test_settle_all_arrived_when_the_excess_is_their_total)                                      \
    X(test_settle_names_exactly_the_batches_that_make_the_excess)                                  \
    X(test_settle_an_excess_no_subset_makes_leaves_all_in_doubt)                                   \
    X(test_settle_an_excess_two_subsets_make_leaves_all_in_doubt)                                  \
    X(test_settle_a_counter_below_the_acknowledged_leaves_all_in_doubt_and_nothing_twice)          \
    X(test_settle_an_excess_beyond_every_batch_leaves_all_in_doubt)                                \
    X(test_settle_more_doubts_than_can_be_searched_are_all_sent_again)                             \
    X(test_settle_nothing_in_doubt_settles_to_nothing)                                             \
    X(test_settle_counts_kept_distinct_by_the_rule_always_decide)                                  \
    X(test_wait_finished_is_done)                                                                  \
    X(test_wait_finalizing_statuses_mean_read_again)                                               \
    X(test_wait_any_other_status_is_failed_even_an_unknown_one)                                    \
    X(test_wait_pauses_double_from_one_second_up_to_fifteen)                                       \
    X(test_sdkargs_ur_becomes_the_long_option)                                                     \
    X(test_sdkargs_ur_as_a_value_or_after_dashdash_is_left_alone)                                  \
    X(test_sdkargs_bare_wait_gets_the_default_and_a_number_after_it_is_its_value)                  \
    /* graphobj */                                                                                 \
    X(test_graphobj_accepts_an_entity_and_reads_its_key_and_type)                                  \
    X(test_graphobj_accepts_an_entity_class_list_but_not_a_relationship_one)                       \
    X(test_graphobj_refuses_a_missing_or_empty_key_type_or_class)                                  \
    X(test_graphobj_refuses_nested_and_mixed_property_values)                                      \
    X(test_graphobj_refuses_reserved_names_and_repeated_system_members)                            \
    X(test_graphobj_checks_raw_data_entries)                                                       \
    X(test_graphobj_a_relationship_needs_exactly_one_way_to_its_ends)                              \
    X(test_graphobj_checks_a_mapped_relationship)                                                  \
    X(test_graphobj_refuses_what_is_not_one_json_object)                                           \
    X(test_graphobj_a_refused_object_can_still_be_named)                                           \
    X(test_graphobj_decodes_and_displays_escaped_keys_safely)                                      \
    X(test_graphobj_knows_the_data_model_relationship_classes)                                     \
    /* batch (upload) */                                                                           \
    X(test_batch_minify_drops_whitespace_outside_strings_only)                                     \
    X(test_batch_minify_ends_a_string_after_an_even_run_of_backslashes)                            \
    X(test_batch_minify_appends_to_what_the_buffer_holds)                                          \
    X(test_batch_strip_raw_data_removes_that_member_only)                                          \
    X(test_batch_body_is_the_wrapped_objects_and_counts_its_bytes)                                 \
    X(test_batch_compressed_on_the_deflater_thread_is_the_same_json)                               \
    X(test_batch_split_halves_a_batch_by_object_count)                                             \
    X(test_batch_split_refuses_a_lone_object)                                                      \
    X(test_batch_strip_lone_rebuilds_the_object_without_its_raw_data)                              \
    X(test_batch_strip_lone_of_an_object_without_raw_data_gives_nothing)                           \
    /* buf */                                                                                      \
    X(test_buf_append_grows_and_stays_nul_terminated)                                              \
    X(test_buf_holds_embedded_nul_bytes)                                                           \
    X(test_buf_printf_grows_past_any_initial_size)                                                 \
    X(test_buf_reset_keeps_the_memory)                                                             \
    X(test_buf_detach_hands_over_the_memory)                                                       \
    X(test_buf_detach_of_an_empty_buffer_gives_an_empty_string)                                    \
    X(test_buf_is_always_a_terminated_string)                                                      \
    X(test_buf_empty_unescape_is_terminated)                                                       \
    /* alloc, strlist */                                                                           \
    X(test_out_of_memory_ends_the_process_with_status_1_and_says_so)                               \
    X(test_grow_doubles_and_keeps_the_elements)                                                    \
    X(test_memdup0_copies_embedded_nuls_and_terminates)                                            \
    X(test_strlist_keeps_order_and_unique_drops_repeats)                                           \
    X(test_strlist_unique_is_exact_before_and_after_it_grows_a_set)                                \
    /* npm (registry knowledge) */                                                                 \
    X(test_npm_name_rule_is_one_to_428_bytes_without_control_characters)                           \
    X(test_npm_org_name_is_1_to_214_ascii_letters_digits_dashes_underscores_and_dots)              \
    X(test_npm_team_splits_at_the_first_colon_and_bare_names_belong_to_the_org)                    \
    X(test_npm_walker_hands_out_every_shape_in_document_order)                                     \
    X(test_npm_walker_decodes_escaped_names_and_values)                                            \
    X(test_npm_walker_dedupe_hands_out_a_repeated_name_once)                                       \
    X(test_npm_walker_says_which_shape_was_expected)                                               \
    X(test_npm_walker_reports_invalid_json_with_its_byte)                                          \
    X(test_npm_walker_lenient_hands_out_entries_that_are_not_strings)                              \
    X(test_npm_walker_stops_when_the_callback_says_so)                                             \
    X(test_npm_shapes_describe_themselves)                                                         \
    X(test_npm_request_paths_escape_names_as_the_npm_cli_does)                                     \
    /* workq */                                                                                    \
    X(test_workq_runs_every_job_in_order_within_its_bounds)                                        \
    X(test_workq_first_failure_stops_the_work_and_is_reported)                                     \
    X(test_workq_stop_with_discard_drops_what_is_queued)                                           \
    /* sha256 */                                                                                   \
    X(test_base64_rfc4648_vectors_decode)                                                          \
    X(test_base64_invalid_input_is_refused_and_leaves_the_buffer)                                  \
    X(test_semver_versions_parse_strictly)                                                         \
    X(test_semver_order_follows_the_prerelease_rules)                                              \
    X(test_semver_comparators_and_sets)                                                            \
    X(test_semver_x_ranges_tilde_caret_and_hyphen_desugar_as_node_semver)                          \
    X(test_semver_a_prerelease_is_only_in_a_set_naming_its_release)                                \
    X(test_semver_a_range_it_cannot_read_says_nothing)                                             \
    X(test_supply_batches_keep_each_package_whole_and_under_the_bound)                             \
    X(test_supply_the_token_list_names_the_collecting_token_by_its_sha512_key)                     \
    X(test_supply_a_next_page_elsewhere_is_not_followed)                                           \
    X(test_sha512_fips_empty_message)                                                              \
    X(test_sha512_fips_abc)                                                                        \
    X(test_sha512_fips_896_bit_message_spans_two_blocks)                                           \
    X(test_sha512_a_million_a_fed_in_odd_pieces_is_the_fips_digest)                                \
    X(test_pkgscan_latest_with_attestations_and_every_version_in_order)                            \
    X(test_pkgscan_dist_tags_after_versions_still_finds_the_latest_attested)                       \
    X(test_pkgscan_an_older_version_with_provenance_does_not_make_the_latest_attested)             \
    X(test_pkgscan_implausible_versions_are_skipped_and_repeats_taken_once)                        \
    X(test_pkgscan_a_document_that_is_not_an_object_has_no_facts)                                  \
    X(test_pkgscan_a_spilled_body_gives_the_same_facts)                                            \
    X(test_pkgscan_a_large_spilled_document_is_read_whole_while_its_pages_are_given_back)          \
    X(test_sha256_fips_empty_message)                                                              \
    X(test_sha256_fips_abc)                                                                        \
    X(test_sha256_fips_448_bit_message)                                                            \
    X(test_sha256_fips_896_bit_message)                                                            \
    X(test_sha256_fips_one_million_a_in_uneven_chunks)                                             \
    X(test_sha256_block_boundaries)                                                                \
    X(test_sha256_chunking_never_changes_the_digest)                                               \
    /* access (transform) */                                                                       \
    X(test_access_perm_parse_knows_npm_spellings_and_refuses_others)                               \
    X(test_access_team_perm_is_the_highest_grant_of_the_users_teams)                               \
    X(test_access_repeated_records_do_not_change_the_answer)                                       \
    X(test_access_many_teams_answer_by_merge)                                                      \
    /* repo (transform) */                                                                         \
    X(test_repo_every_spelling_maps_to_its_repository_or_to_none)                                  \
    X(test_repo_mapped_names_are_never_empty_and_hold_no_credentials)                              \
    X(test_repo_redact_never_writes_a_credential_of_any_row)                                       \
    X(test_repo_redact_keeps_everything_but_the_credentials)                                       \
    X(test_repo_random_values_keep_the_invariants)                                                 \
    X(test_repo_readme_spellings_each_map_as_the_readme_says)                                      \
    /* npmvalue (transform) */                                                                     \
    X(test_npm_name_is_1_to_428_bytes_without_control_bytes)                                       \
    X(test_npm_email_is_trimmed_and_lower_cased_when_valid)                                        \
    X(test_npm_email_lengths_are_bounded)                                                          \
    X(test_npm_person_string_gives_the_name_and_a_valid_email)                                     \
    X(test_npm_person_object_needs_a_name_and_keeps_a_valid_email)                                 \
    X(test_npm_perm_read_and_write_become_read_only_and_read_write)                                \
    X(test_npm_weblink_encodes_all_but_the_characters_of_npm_names)                                \
    /* packument (transform) */                                                                    \
    X(test_packument_facts_of_a_full_document)                                                     \
    X(test_packument_latest_falls_back_to_the_last_version_listed)                                 \
    X(test_packument_deprecation_message_and_repository_from_the_latest_version)                   \
    X(test_packument_no_repository_is_none_and_a_bad_one_is_unknown)                               \
    X(test_packument_malformed_fields_say_nothing_and_are_flagged)                                 \
    X(test_packument_scan_refuses_what_is_not_a_json_object)                                       \
    X(test_packument_trimmed_document_drops_the_bulk_and_the_credentials)                          \
    X(test_packument_trust_of_each_version_and_the_downgrade_by_publish_time)                      \
    X(test_packument_a_trusted_latest_is_no_downgrade_and_unknown_times_say_nothing)               \
    X(test_packument_malformed_version_parts_never_become_facts)                                   \
    X(test_attest_slsa_v1_from_a_github_hosted_runner)                                             \
    X(test_attest_slsa_v1_from_a_self_hosted_runner)                                               \
    X(test_attest_slsa_v02_from_gitlab)                                                            \
    X(test_attest_malformed_answers_leave_every_fact_out)                                          \
    X(test_supply_one_advisory_entity_per_id_and_a_relationship_per_package)                       \
    /* names (transform) */                                                                        \
    X(test_names_an_object_hands_each_name_and_value_in_order)                                     \
    X(test_names_an_array_hands_each_name)                                                         \
    X(test_names_an_empty_name_is_skipped_with_one_warning)                                        \
    X(test_names_bad_shapes_and_invalid_json_name_the_record)                                      \
    /* join (transform) */                                                                         \
    X(test_join_a_name_is_one_entry_with_a_dense_id)                                               \
    X(test_join_a_team_name_is_org_colon_team_or_belongs_to_the_org)                               \
    /* graph (transform) */                                                                        \
    X(test_graph_sorts_and_deduplicates_through_many_runs_and_merges)                              \
    /* the org report (transform/org*.c) */                                                        \
    X(test_orgreport_xml_escape_leaves_no_markup_and_cuts_on_a_character)                          \
    X(test_orgreport_markdown_escape_keeps_names_from_making_markup)                               \
    X(test_orgfacts_sorts_and_keeps_the_first_of_repeats)                                          \
    X(test_orgdiff_finds_one_change_of_every_class_in_order)                                       \
    X(test_orgdiff_an_absent_fact_is_no_change)                                                    \
    X(test_orgdiff_lists_at_most_a_thousand_changes_of_a_class_but_counts_all)                     \
    X(test_orgdiff_parses_fail_on_classes_and_names_the_known_ones)                                \
    X(test_orgpicture_folds_rows_past_the_limit_and_shares_equal_rows)                             \
    X(test_orgpicture_and_report_escape_hostile_names)                                             \
    X(test_orgpicture_names_a_package_risks_from_its_facts)                                        \
    X(test_orgreport_is_the_same_bytes_whatever_order_the_objects_came_in)                         \
    X(test_orgreport_says_which_supply_chain_facts_the_graph_lacks)                                \
    /* strset */                                                                                   \
    X(test_strset_add_then_get)                                                                    \
    X(test_strset_add_twice_keeps_one_entry_and_its_value)                                         \
    X(test_strset_keys_are_byte_strings)                                                           \
    X(test_strset_grows_past_many_thousands)                                                       \
    X(test_strset_sorted_order_is_bytewise)                                                        \
    X(test_strset_sorted_of_an_empty_set)                                                          \
    X(test_strset_free_releases_values)                                                            \
    /* json: writer */                                                                             \
    X(test_json_escape_round_trips_any_bytes)                                                      \
    X(test_json_escape_of_every_single_byte)                                                       \
    X(test_json_escape_keeps_valid_utf8_and_repairs_invalid)                                       \
    X(test_json_escape_of_random_bytes_is_valid_and_stable)                                        \
    X(test_jw_writes_commas_and_nesting)                                                           \
    X(test_jw_document_reads_back_through_jdoc)                                                    \
    X(test_jw_errors_are_sticky)                                                                   \
    X(test_jw_refuses_writes_that_would_make_invalid_json)                                         \
    /* json: validators */                                                                         \
    X(test_json_validate_and_jpush_agree_on_corpus)                                                \
    X(test_jpush_byte_at_a_time_matches_all_at_once)                                               \
    X(test_jpush_any_split_matches_all_at_once)                                                    \
    X(test_json_nesting_limit_is_json_max_depth)                                                   \
    X(test_json_validate_reports_the_offending_byte)                                               \
    X(test_json_strings_find_special_bytes_at_every_offset)                                        \
    X(test_json_skip_returns_the_end_of_one_value)                                                 \
    X(test_jpush_validates_a_large_document_in_chunks)                                             \
    /* json: member walkers */                                                                     \
    X(test_json_each_member_reports_raw_keys_and_whole_values)                                     \
    X(test_json_each_member_stops_when_asked)                                                      \
    X(test_json_each_member_refuses_invalid_json)                                                  \
    X(test_json_each_member_agrees_with_json_validate)                                             \
    X(test_json_walk_members_lets_the_caller_descend)                                              \
    X(test_json_key_is_compares_raw_keys)                                                          \
    X(test_jw_key_raw_copies_escaped_keys)                                                         \
    /* json: jdoc */                                                                               \
    X(test_jdoc_parse_refuses_invalid_json)                                                        \
    X(test_jdoc_get_finds_members_not_nested_keys)                                                 \
    X(test_jdoc_iterates_objects_in_order)                                                         \
    X(test_jdoc_iterates_arrays_including_empty_and_nested)                                        \
    X(test_jdoc_str_decodes_escapes_and_surrogate_pairs)                                           \
    X(test_jdoc_str_replaces_lone_surrogates)                                                      \
    X(test_jdoc_streq_compares_decoded_text)                                                       \
    X(test_jdoc_i64_reads_integers)                                                                \
    X(test_jdoc_bool_and_null)                                                                     \
    X(test_jdoc_accessors_refuse_wrong_types)                                                      \
    X(test_jdoc_raw_and_text)                                                                      \
    X(test_jdoc_reuse_grows_token_array)                                                           \
    /* ndjson */                                                                                   \
    X(test_ndjson_round_trips_lines_over_1mb)                                                      \
    X(test_ndjson_round_trips_many_small_lines)                                                    \
    X(test_ndjson_reads_through_a_pipe)                                                            \
    X(test_ndjson_writer_counts_and_hashes_what_it_writes)                                         \
    X(test_ndjson_reader_hashes_and_counts_its_input)                                              \
    X(test_ndjson_concatenated_gzip_members_read_as_one_stream)                                    \
    X(test_ndjson_reads_plain_input)                                                               \
    X(test_ndjson_empty_input_has_no_lines)                                                        \
    X(test_ndjson_last_line_without_newline)                                                       \
    X(test_ndjson_strips_carriage_returns)                                                         \
    X(test_ndjson_truncated_gzip_names_file_and_line)                                              \
    X(test_ndjson_corrupt_gzip_is_an_error)                                                        \
    X(test_ndjson_bad_checksum_is_an_error)                                                        \
    X(test_ndjson_trailing_garbage_is_an_error)                                                    \
    X(test_ndjson_max_line_exceeded_is_an_error)                                                   \
    X(test_ndjson_write_after_finish_is_an_error)                                                  \
    /* retry */                                                                                    \
    X(test_retry_after_seconds)                                                                    \
    X(test_retry_after_http_dates)                                                                 \
    X(test_retry_after_in_the_past_means_now)                                                      \
    X(test_retry_after_garbage_is_minus_one)                                                       \
    X(test_retry_429_waits_retry_after_capped_at_max_wait)                                         \
    X(test_retry_429_without_retry_after_backs_off)                                                \
    X(test_retry_503_honours_retry_after)                                                          \
    X(test_retry_5xx_backoff_grows_within_jitter_bounds_and_cap)                                   \
    X(test_retry_definitive_statuses_are_done)                                                     \
    X(test_retry_408_is_retryable)                                                                 \
    X(test_retry_transport_reset_is_retryable)                                                     \
    X(test_retry_fatal_transport_fails_at_once)                                                    \
    X(test_retry_attempts_beyond_max_retries_fail)                                                 \
    X(test_retry_2xx_with_truncated_json_is_retryable)                                             \
    X(test_retry_classifies_curl_codes)                                                            \
    /* npmrc */                                                                                    \
    X(test_npmrc_exact_registry_match)                                                             \
    X(test_npmrc_nerf_dart_drops_default_port)                                                     \
    X(test_npmrc_nerf_dart_keeps_explicit_port)                                                    \
    X(test_npmrc_registry_path_uses_its_own_line_first)                                            \
    X(test_npmrc_registry_path_falls_back_to_parent_path)                                          \
    X(test_npmrc_line_for_another_host_or_path_is_not_used)                                        \
    X(test_npmrc_expands_env_vars)                                                                 \
    X(test_npmrc_optional_unset_var_expands_to_empty)                                              \
    X(test_npmrc_unset_var_is_an_error_naming_it)                                                  \
    X(test_npmrc_escaped_var_stays_literal)                                                        \
    X(test_npmrc_quoted_values_are_unquoted)                                                       \
    X(test_npmrc_comments_are_ignored)                                                             \
    X(test_npmrc_last_line_for_a_key_wins)                                                         \
    X(test_npmrc_spaces_around_equals_and_crlf)                                                    \
    X(test_npmrc_token_is_registered_for_redaction)                                                \
    X(test_npmrc_get_reads_registry_and_scoped_registry_lines)                                     \
    X(test_npmrc_env_names_are_case_insensitive_and_the_later_one_wins)                            \
    /* url */                                                                                      \
    X(test_url_error_for_a_long_url_keeps_its_reason)                                              \
    X(test_url_encode_package_scoped_name)                                                         \
    X(test_url_encode_reserved_characters)                                                         \
    X(test_url_encode_unicode_bytes)                                                               \
    X(test_url_parse_splits_a_base_url)                                                            \
    X(test_url_parse_normalises_path_to_end_in_slash)                                              \
    X(test_url_parse_keeps_port_and_ipv6)                                                          \
    X(test_url_parse_rejects_userinfo)                                                             \
    X(test_url_parse_rejects_query_and_fragment)                                                   \
    X(test_url_parse_rejects_other_schemes_and_bad_ports)                                          \
    X(test_url_format_round_trips)                                                                 \
    X(test_url_parse_accepts_only_paths_whose_formatted_url_parses)                                \
    X(test_url_parse_refuses_a_bracketed_host_that_is_not_ipv6)                                    \
    X(test_url_loopback_hosts)                                                                     \
    X(test_url_non_loopback_hosts)                                                                 \
    X(test_url_plain_http_carries_a_secret_only_to_loopback_or_when_allowed)                       \
    /* progress */                                                                                 \
    X(test_progress_a_line_at_120_columns_shows_everything_in_columns)                             \
    X(test_progress_a_line_at_80_columns_fits_with_everything)                                     \
    X(test_progress_a_line_at_40_columns_keeps_name_count_percent_and_rate)                        \
    X(test_progress_no_line_is_ever_as_wide_as_the_terminal)                                       \
    X(test_progress_drops_eta_then_retries_then_rate_then_percent_before_name_and_count)           \
    X(test_progress_the_name_is_cut_last_and_marked)                                               \
    X(test_progress_a_growing_total_has_no_percent_and_no_eta)                                     \
    X(test_progress_rate_and_done_in_count_from_the_kind_s_first_request)                          \
    X(test_progress_a_total_does_not_start_the_clock_the_first_request_does)                       \
    X(test_progress_the_run_line_adds_requests_elapsed_and_eta)                                    \
    X(test_progress_the_run_line_has_no_eta_while_a_total_grows)                                   \
    X(test_progress_the_run_line_leaves_out_what_is_not_a_request)                                 \
    X(test_progress_input_bytes_read_of_the_total)                                                 \
    /* timeutil */                                                                                 \
    X(test_time_parse_iso8601_utc)                                                                 \
    X(test_time_parse_iso8601_offsets)                                                             \
    X(test_time_parse_iso8601_fractional_seconds)                                                  \
    X(test_time_parse_iso8601_date_only)                                                           \
    X(test_time_parse_iso8601_respects_length)                                                     \
    X(test_time_parse_iso8601_rejects_invalid_dates)                                               \
    X(test_time_parse_iso8601_rejects_garbage)                                                     \
    X(test_time_iso8601_formats_utc_milliseconds)                                                  \
    X(test_time_iso8601_round_trips)                                                               \
    X(test_time_parse_http_date_three_forms)                                                       \
    X(test_time_parse_http_date_rejects_garbage)                                                   \
    X(test_time_days_from_civil)                                                                   \
    X(test_time_clocks_move_forward)                                                               \
    /* fsutil */                                                                                   \
    X(test_afile_commit_renames_into_place_with_mode)                                              \
    X(test_afile_temporary_is_a_dot_file_in_the_same_directory)                                    \
    X(test_afile_commit_replaces_an_existing_file)                                                 \
    X(test_afile_abort_leaves_no_file)                                                             \
    X(test_afile_abort_all_removes_every_temporary)                                                \
    X(test_afile_open_in_a_missing_directory_fails)                                                \
    X(test_rmtree_removes_a_tree)                                                                  \
    X(test_rmtree_does_not_follow_symlinks)                                                        \
    X(test_rmtree_of_a_missing_path_is_ok)                                                         \
    X(test_dir_is_empty)                                                                           \
    X(test_mkdir_p_creates_parents)                                                                \
    X(test_read_file_reads_whole_file_up_to_max)                                                   \
    X(test_write_all_reports_a_closed_pipe)                                                        \
    X(test_path_join)                                                                              \
    /* cli, summary */                                                                             \
    X(test_cli_options_set_what_the_table_says)                                                    \
    X(test_cli_short_name_alias_and_their_abbreviation_are_one_option)                             \
    X(test_cli_shared_options_have_their_usual_one_letter_names)                                   \
    X(test_cli_usage_errors_are_class_usage_and_name_the_flag)                                     \
    X(test_cli_a_mistyped_or_refused_option_never_echoes_its_value)                                \
    X(test_cli_usage_shows_every_option_with_its_default_but_not_refused_ones)                     \
    X(test_summary_members_are_one_summary_object_without_outer_braces)                            \
    X(test_summary_file_holds_program_status_the_same_summary_and_the_error)                       \
    /* secret + log */                                                                             \
    X(test_log_redacts_a_registered_secret_in_text)                                                \
    X(test_log_redacts_a_registered_secret_in_json)                                                \
    X(test_log_redacts_secrets_that_json_would_escape)                                             \
    X(test_log_redacts_the_longest_overlapping_secret)                                             \
    X(test_log_redacts_overlapping_secrets_without_a_tail)                                         \
    X(test_log_redacts_secrets_in_fields_and_summary)                                              \
    X(test_log_text_escapes_control_characters)                                                    \
    X(test_err_redacts_before_cutting_to_fit)                                                      \
    X(test_log_redacts_short_secrets)                                                              \
    X(test_redact_stream_finds_secrets_split_across_pieces)                                        \
    X(test_redact_stream_leaves_no_tail_of_overlapping_secrets)                                    \
    X(test_log_json_lines_parse_as_json)                                                           \
    X(test_log_levels_filter_messages)                                                             \
    X(test_log_hooks_run_around_each_line)                                                         \
    X(test_secret_set_trims_and_refuses_control_characters)                                        \
    X(test_secret_from_env)                                                                        \
    X(test_secret_from_file_takes_first_line_and_warns_on_mode)                                    \
    X(test_secret_from_file_skips_blank_crlf_lines)                                                \
    X(test_secret_error_messages_never_hold_the_value)

#define DECLARE(name) void name(void);
TESTS(DECLARE)
#undef DECLARE

struct test {
    const char *name;
    void (*fn)(void);
};

#define ENTRY(name) {#name, name},
static const struct test tests[] = {TESTS(ENTRY)};
#undef ENTRY

/* ---- per-test state ---------------------------------------------------- */

static bool cur_failed;
static struct buf cur_msg;
static char *cur_tmpdir;
static int saved_stderr = -1, capture_fd = -1;

bool t_failed(void)
{
    return cur_failed;
}

bool t_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    if (cur_failed)
        return false;
    cur_failed = true;
    const char *base = strrchr(file, '/');
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&cur_msg, fmt, ap);
    va_end(ap);
    if (expr)
        buf_printf(&cur_msg, " (%s:%d: %s)", base ? base + 1 : file, line, expr);
    else
        buf_printf(&cur_msg, " (%s:%d)", base ? base + 1 : file, line);
    return false;
}

void t_escape(struct buf *out, const void *s, size_t n, size_t max)
{
    const unsigned char *p = s;
    buf_putc(out, '"');
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = p[i];
        switch (c) {
        case '"': buf_puts(out, "\\\""); break;
        case '\\': buf_puts(out, "\\\\"); break;
        case '\n': buf_puts(out, "\\n"); break;
        case '\r': buf_puts(out, "\\r"); break;
        case '\t': buf_puts(out, "\\t"); break;
        default:
            if (c < 0x20 || c >= 0x7f)
                buf_printf(out, "\\x%02x", c);
            else
                buf_putc(out, (char)c);
        }
    }
    buf_putc(out, '"');
    if (n > max)
        buf_puts(out, "...");
}

bool t_int(long long exp, long long got, const char *file, int line, const char *expr)
{
    if (exp == got)
        return true;
    return t_fail(file, line, expr, "expected %lld, got %lld", exp, got);
}

bool t_uint(unsigned long long exp, unsigned long long got, const char *file, int line,
            const char *expr)
{
    if (exp == got)
        return true;
    return t_fail(file, line, expr, "expected %llu, got %llu", exp, got);
}

bool t_bool(bool exp, bool got, const char *file, int line, const char *expr)
{
    if (exp == got)
        return true;
    return t_fail(file, line, expr, "expected %s, got %s", exp ? "true" : "false",
                  got ? "true" : "false");
}

/* Shows a string whole when short, else a window around byte `at`. */
static void show(struct buf *out, const unsigned char *p, size_t n, size_t at)
{
    if (!p) {
        buf_puts(out, "NULL");
        return;
    }
    size_t from = n <= 96 ? 0 : (at > 24 ? at - 24 : 0);
    if (from)
        buf_printf(out, "[from byte %zu] ", from);
    t_escape(out, p + from, n - from, 96);
    buf_printf(out, " (%zu bytes)", n);
}

bool t_mem(const void *exp, size_t exp_n, const void *got, size_t got_n, const char *file, int line,
           const char *expr)
{
    if (exp && got && exp_n == got_n && memcmp(exp, got, exp_n) == 0)
        return true;
    if (!exp && !got)
        return true;
    size_t at = 0;
    if (exp && got)
        while (at < exp_n && at < got_n &&
               ((const unsigned char *)exp)[at] == ((const unsigned char *)got)[at])
            at++;
    struct buf m = BUF_INIT;
    buf_puts(&m, "expected ");
    show(&m, exp, exp_n, at);
    buf_puts(&m, ", got ");
    show(&m, got, got_n, at);
    if (exp && got)
        buf_printf(&m, ", first difference at byte %zu", at);
    t_fail(file, line, expr, "%s", m.p);
    buf_free(&m);
    return false;
}

bool t_str(const char *exp, const char *got, const char *file, int line, const char *expr)
{
    return t_mem(exp, exp ? strlen(exp) : 0, got, got ? strlen(got) : 0, file, line, expr);
}

bool t_contains(const char *hay, const char *needle, const char *file, int line, const char *expr)
{
    if (hay && strstr(hay, needle))
        return true;
    struct buf m = BUF_INIT;
    buf_puts(&m, "expected a string containing ");
    t_escape(&m, needle, strlen(needle), 200);
    buf_puts(&m, ", got ");
    show(&m, (const unsigned char *)hay, hay ? strlen(hay) : 0, 0);
    t_fail(file, line, expr, "%s", m.p);
    buf_free(&m);
    return false;
}

bool t_not_contains(const char *hay, size_t hay_n, const char *needle, size_t needle_n,
                    const char *file, int line, const char *expr)
{
    for (size_t i = 0; needle_n && i + needle_n <= hay_n; i++) {
        if (memcmp(hay + i, needle, needle_n) == 0) {
            struct buf m = BUF_INIT;
            buf_puts(&m, "expected no ");
            t_escape(&m, needle, needle_n, 200);
            buf_printf(&m, ", found at byte %zu of ", i);
            show(&m, (const unsigned char *)hay, hay_n, i);
            t_fail(file, line, expr, "%s", m.p);
            buf_free(&m);
            return false;
        }
    }
    return true;
}

bool t_ok(int rc, const struct err *e, const char *file, int line, const char *expr)
{
    if (rc >= 0)
        return true;
    return t_fail(file, line, expr, "expected success, got %d: %s", rc,
                  e && e->msg[0] ? e->msg : "(no message)");
}

/* ---- files --------------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(p);
    return unlink(p);
}

const char *t_tmpdir(void)
{
    if (cur_tmpdir)
        return cur_tmpdir;
    const char *base = getenv("TMPDIR");
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s/j1npm-unit-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(b.p)) {
        t_fail(__FILE__, __LINE__, NULL, "cannot create a temporary directory: %s",
               strerror(errno));
        buf_free(&b);
        return NULL;
    }
    cur_tmpdir = buf_detach(&b);
    return cur_tmpdir;
}

bool t_write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return false;
        }
        c += w;
        n -= (size_t)w;
    }
    return close(fd) == 0;
}

bool t_capture_stderr_begin(void)
{
    char path[] = "/tmp/j1npm-unit-stderr-XXXXXX";
    fflush(stderr);
    capture_fd = mkstemp(path);
    if (capture_fd < 0)
        return false;
    unlink(path);
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(capture_fd, STDERR_FILENO) < 0) {
        close(capture_fd);
        capture_fd = -1;
        return false;
    }
    return true;
}

bool t_capture_stderr_end(struct buf *out)
{
    if (capture_fd < 0)
        return false;
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
    bool ok = lseek(capture_fd, 0, SEEK_SET) == 0;
    char chunk[4096];
    ssize_t r;
    while (ok && (r = read(capture_fd, chunk, sizeof chunk)) > 0)
        buf_append(out, chunk, (size_t)r);
    if (!out->p)
        buf_puts(out, "");
    close(capture_fd);
    capture_fd = -1;
    return ok;
}

/* ---- PRNG ------------------------------------------------------------------ */

void t_rng_init(struct t_rng *r, unsigned long long seed)
{
    r->s = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

unsigned t_rng_u32(struct t_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (unsigned)((r->s * 2685821657736338717ULL) >> 32);
}

unsigned t_rng_below(struct t_rng *r, unsigned n)
{
    return n ? t_rng_u32(r) % n : 0;
}

/* ---- runner ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    size_t ran = 0, failed = 0;
    double t0 = now_s();

    /* A closed pipe must be an error we can test, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        cur_failed = false;
        buf_reset(&cur_msg);
        tests[i].fn();
        if (capture_fd >= 0) { /* a test returned while capturing */
            struct buf lost = BUF_INIT;
            t_capture_stderr_end(&lost);
            buf_free(&lost);
        }
        if (cur_tmpdir) {
            nftw(cur_tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
            free(cur_tmpdir);
            cur_tmpdir = NULL;
        }
        ran++;
        if (cur_failed) {
            failed++;
            printf("FAIL %s: %s\n", tests[i].name, cur_msg.p ? cur_msg.p : "");
        } else {
            printf("ok   %s\n", tests[i].name);
        }
    }
    buf_free(&cur_msg);

    if (ran == 0) {
        fprintf(stderr, "unit-tests: no test name contains '%s'\n", filter ? filter : "");
        return 1;
    }
    printf("%zu tests, %zu passed, %zu failed (%.2f s)\n", ran, ran - failed, failed, now_s() - t0);
    return failed ? 1 : 0;
}
