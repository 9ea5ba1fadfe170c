// SPDX-License-Identifier: MIT
// The public entry point: runs the evaluator on a thread of its own with a large
// stack (evaluation is recursive; its nesting is bounded by max_depth and by the
// stack actually left, checked on each step), and turns everything that can go
// wrong into diagnostics.
#include "eval/evaluate.h"

#include <pthread.h>

#include <exception>
#include <new>

#include "eval/evaluator.h"

namespace tutti::eval {

namespace {

constexpr std::size_t eval_stack_bytes = std::size_t(256) << 20; // reserved, touched on use
constexpr std::size_t stack_margin = std::size_t(1) << 20;

struct Job {
    frontend::FrontendSession* session;
    const frontend::ParsedFile* main;
    boxes::BoxContext* boxes;
    EvalOptions options;
    std::size_t stack_bytes = 0;
    Program result;
    std::vector<diag::Diag> diags;
};

diag::SourceRange file_start(const frontend::ParsedFile& f) {
    return {f.root->range.begin, f.root->range.begin};
}

void run(Job& job) {
    try {
        Evaluator ev(*job.session, *job.main, *job.boxes, job.options);
        if (job.stack_bytes > 2 * stack_margin) {
            const char* base = static_cast<const char*>(__builtin_frame_address(0));
            ev.set_stack_limit(base, job.stack_bytes - 2 * stack_margin);
        }
        job.result.process = ev.evaluate_process();
        job.result.metadata = std::move(ev.metadata());
        job.result.files_in_use_order = std::move(ev.files_in_use_order());
    } catch (EvalError& e) {
        job.result.process = nullptr;
        job.diags = std::move(e.diags);
    } catch (const std::bad_alloc&) {
        job.result.process = nullptr;
        job.diags.push_back(diag::diags::internal_error(file_start(*job.main),
                                                        "out of memory during evaluation"));
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

/// The usable stack of the calling thread (for the fallback without a thread).
std::size_t current_stack_bytes() {
    pthread_attr_t attr;
    std::size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void* addr = nullptr;
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
        // The frame we are in is somewhere inside: keep half as a safety margin.
        size /= 2;
    }
    return size;
}

} // namespace

Program evaluate_program(frontend::FrontendSession& session, const frontend::ParsedFile& main,
                         boxes::BoxContext& boxes, const EvalOptions& options) {
    if (session.diagnostics().has_errors()) {
        return {}; // the front end failed: there is nothing sound to evaluate
    }
    Job job{&session, &main, &boxes, options, eval_stack_bytes, {}, {}};
    bool ran = false;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) == 0) {
        pthread_t thread;
        if (pthread_attr_setstacksize(&attr, eval_stack_bytes) == 0 &&
            pthread_create(&thread, &attr, thread_main, &job) == 0) {
            pthread_join(thread, nullptr);
            ran = true;
        }
        pthread_attr_destroy(&attr);
    }
    if (!ran) {
        job.stack_bytes = current_stack_bytes();
        run(job);
    }
    for (diag::Diag& d : job.diags) {
        session.diagnostics().add(std::move(d));
    }
    return std::move(job.result);
}

} // namespace tutti::eval
