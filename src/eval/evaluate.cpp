// SPDX-License-Identifier: MIT
// The public entry point: runs the evaluator and turns everything that can go
// wrong into diagnostics. Evaluation is recursive; it runs on the calling
// thread (or, when EvalOptions::stack_bytes is set, on a thread of its own with
// that stack), and its nesting is bounded by max_depth and by the stack left on
// that thread, checked on each step: running out of either is a diagnostic at
// the place being evaluated, never a crash, whatever the thread's stack size.
#include "eval/evaluate.h"

#include <pthread.h>

#include <exception>
#include <new>

#include "eval/evaluator.h"
#include "support/stack_limit.h"

namespace tutti::eval {

namespace {

struct Job {
    frontend::FrontendSession* session;
    const frontend::ParsedFile* main;
    boxes::BoxContext* boxes;
    EvalOptions options;
    Program result;
    std::vector<diag::Diag> diags;
};

diag::SourceRange file_start(const frontend::ParsedFile& f) {
    return {f.root->range.begin, f.root->range.begin};
}

void run(Job& job) {
    try {
        Evaluator ev(*job.session, *job.main, *job.boxes, job.options);
        // what is left of this thread's stack, less a margin for what runs after
        // a check (diagnostics, unwinding, the allocator)
        StackLimit stack(std::size_t(512) << 10);
        const char* base = static_cast<const char*>(__builtin_frame_address(0));
        if (std::size_t left = stack.left(); left > 0) {
            ev.set_stack_limit(base, left);
        }
        job.result.process = ev.evaluate_process();
        job.result.metadata = std::move(ev.metadata());
        job.result.files_in_use_order = std::move(ev.files_in_use_order());
    } catch (EvalError& e) {
        job.result.process = nullptr;
        job.diags = std::move(e.diags);
    } catch (const std::bad_alloc&) {
        job.result.process = nullptr;
        job.diags.push_back(
            diag::diags::internal_error(file_start(*job.main), "out of memory during evaluation"));
    } catch (const std::exception& e) {
        job.result.process = nullptr;
        job.diags.push_back(diag::diags::internal_error(
            file_start(*job.main), std::string("evaluation failed: ") + e.what()));
    } catch (...) {
        job.result.process = nullptr;
        job.diags.push_back(
            diag::diags::internal_error(file_start(*job.main), "evaluation failed"));
    }
}

void* thread_main(void* arg) {
    run(*static_cast<Job*>(arg));
    return nullptr;
}

} // namespace

Program evaluate_program(frontend::FrontendSession& session, const frontend::ParsedFile& main,
                         boxes::BoxContext& boxes, const EvalOptions& options) {
    if (session.diagnostics().has_errors()) {
        return {}; // the front end failed: there is nothing sound to evaluate
    }
    Job job{&session, &main, &boxes, options, {}, {}};
    bool ran = false;
    if (options.stack_bytes > 0) {
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) == 0) {
            pthread_t thread;
            if (pthread_attr_setstacksize(&attr, options.stack_bytes) == 0 &&
                pthread_create(&thread, &attr, thread_main, &job) == 0) {
                pthread_join(thread, nullptr);
                ran = true;
            }
            pthread_attr_destroy(&attr);
        }
    }
    if (!ran) {
        run(job);
    }
    for (diag::Diag& d : job.diags) {
        session.diagnostics().add(std::move(d));
    }
    return std::move(job.result);
}

} // namespace tutti::eval
